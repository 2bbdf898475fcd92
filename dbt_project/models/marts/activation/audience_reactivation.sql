{#- The reactivation audience: see int_activation_audiences (shared rules) and int_activation_reactivation (the trigger). -#}
{{ audience_mart('reactivation') }}
