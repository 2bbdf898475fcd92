{#- The cart_recovery audience: see int_activation_audiences (shared rules) and int_activation_cart_recovery (the trigger). -#}
{{ audience_mart('cart_recovery') }}
