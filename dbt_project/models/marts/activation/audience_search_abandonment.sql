{#- The search_abandonment audience. Shared rules: int_activation_audiences; the trigger:
    int_activation_search_abandonment. -#}
{{ audience_mart('search_abandonment') }}
