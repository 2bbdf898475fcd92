{#- The search_abandonment audience: see int_activation_audiences (shared rules) and int_activation_search_abandonment (the trigger). -#}
{{ audience_mart('search_abandonment') }}
