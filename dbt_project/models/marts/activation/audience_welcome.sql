{#- The welcome audience: see int_activation_audiences (shared rules) and int_activation_welcome (the trigger). -#}
{{ audience_mart('welcome') }}
