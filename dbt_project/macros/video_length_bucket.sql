{#- The length bucket of a video, in the whole minutes a content team plans in: under 1 minute (reels and
    shorts), 1 to 3 minutes (the 90-second clip), 3 to 5 minutes (the 3-minute piece), 5 minutes and more
    (long form). Each bucket holds [lower, upper) seconds and its label names them in seconds, so the edge
    is never in doubt. Defined once for fct_segment_performance and fct_video_length_curve; a video with no
    length has no bucket (null). -#}
{% macro video_length_bucket(length_s) -%}
    case
        when {{ length_s }} < 60 then '0-59s'
        when {{ length_s }} < 180 then '60-179s'
        when {{ length_s }} < 300 then '180-299s'
        when {{ length_s }} >= 300 then '300s+'
    end
{%- endmacro %}
