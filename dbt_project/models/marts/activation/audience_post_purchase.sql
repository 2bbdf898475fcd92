{#- The post_purchase audience: see int_activation_audiences (shared rules) and int_activation_post_purchase (the trigger). -#}
{{ audience_mart('post_purchase') }}
