{#- The browse_abandonment audience: see int_activation_audiences (shared rules) and int_activation_browse_abandonment (the trigger). -#}
{{ audience_mart('browse_abandonment') }}
