{#- The browse_abandonment audience. Shared rules: int_activation_audiences; the trigger:
    int_activation_browse_abandonment. -#}
{{ audience_mart('browse_abandonment') }}
