{#- The reactivation audience. Shared rules: int_activation_audiences; the trigger:
    int_activation_reactivation. -#}
{{ audience_mart('reactivation') }}
