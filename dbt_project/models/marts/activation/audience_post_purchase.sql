{#- The post_purchase audience. Shared rules: int_activation_audiences; the trigger:
    int_activation_post_purchase. -#}
{{ audience_mart('post_purchase') }}
