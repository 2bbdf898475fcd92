{#- The cart_recovery audience. Shared rules: int_activation_audiences; the trigger:
    int_activation_cart_recovery. -#}
{{ audience_mart('cart_recovery') }}
