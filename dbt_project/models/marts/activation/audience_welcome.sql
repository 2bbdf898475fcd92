{#- The welcome audience. Shared rules: int_activation_audiences; the trigger:
    int_activation_welcome. -#}
{{ audience_mart('welcome') }}
