{#- Interval estimates and a significance test for proportions (conversion rates), for the segment marts
    (CONTRACT section 9: 95% Wilson interval, two-proportion z-test against the best variant). Portable SQL:
    arithmetic, sqrt, exp, abs and least only, because warehouses share no erf or normal CDF. Every count
    is cast to double before use, so integer division never truncates and decimal literals never change
    the arithmetic. A count of zero trials gives null: no data, no estimate. -#}

{#- The Wilson score interval (Wilson 1927) of successes / trials, 95% with the default z = 1.96. Unlike the
    p +- z * se interval it stays inside [0, 1] and keeps its coverage for small rates and small samples,
    which is where conversion rates live. The closed form, multiplied through by the trials n:
    (x + z^2 / 2 -+ z * sqrt(x * (n - x) / n + z^2 / 4)) / (n + z^2). -#}
{% macro wilson_interval_low(successes, trials, z=1.96) -%}
    {{ wilson_interval_bound(successes, trials, z, '-') }}
{%- endmacro %}

{% macro wilson_interval_high(successes, trials, z=1.96) -%}
    {{ wilson_interval_bound(successes, trials, z, '+') }}
{%- endmacro %}

{% macro wilson_interval_bound(successes, trials, z, sign) -%}
    {%- set x = 'cast(' ~ successes ~ ' as double)' -%}
    {%- set n = 'cast(' ~ trials ~ ' as double)' -%}
    {%- set zz = 'cast(' ~ z ~ ' as double)' -%}
    (
        (
            {{ x }} + {{ zz }} * {{ zz }} / 2
            {{ sign }} {{ zz }} * sqrt({{ x }} * ({{ n }} - {{ x }}) / nullif({{ n }}, 0) + {{ zz }} * {{ zz }} / 4)
        )
        / ({{ n }} + {{ zz }} * {{ zz }})
    )
{%- endmacro %}

{#- P(Z > |z|) for a standard normal Z, by Abramowitz & Stegun (1964), formula 26.2.17: absolute error
    below 7.5e-8 for every z. With t = 1 / (1 + 0.2316419 |z|) and the density
    phi(z) = exp(-z^2 / 2) / sqrt(2 pi), the tail is phi(z) * t * (b1 + t * (b2 + t * (b3 + t * (b4 + t * b5)))). -#}
{% macro standard_normal_upper_tail(z) -%}
    {%- set t = '(1 / (1 + 0.2316419 * abs(' ~ z ~ ')))' -%}
    (
        0.3989422804014327 * exp(-({{ z }}) * ({{ z }}) / 2)
        * {{ t }} * (
            0.319381530 + {{ t }} * (
                -0.356563782 + {{ t }} * (1.781477937 + {{ t }} * (-1.821255978 + {{ t }} * 1.330274429))
            )
        )
    )
{%- endmacro %}

{#- The two-sided p-value of the pooled two-proportion z-test of x1 / n1 against x2 / n2: with the pooled
    rate p = (x1 + x2) / (n1 + n2), z = (x1 / n1 - x2 / n2) / sqrt(p * (1 - p) * (1 / n1 + 1 / n2)) and
    p-value = 2 * P(Z > |z|). Null when either side has no trials, or when the pooled rate is 0 or 1 (no
    variation, nothing to test). Capped at 1, as at z = 0 the tail approximation gives 0.5000000005; the
    cap sits behind a null check because least() skips nulls on some warehouses (DuckDB, Postgres). -#}
{% macro two_proportion_p_value(x1, n1, x2, n2) -%}
    {%- set s1 = 'cast(' ~ x1 ~ ' as double)' -%}
    {%- set t1 = 'cast(' ~ n1 ~ ' as double)' -%}
    {%- set s2 = 'cast(' ~ x2 ~ ' as double)' -%}
    {%- set t2 = 'cast(' ~ n2 ~ ' as double)' -%}
    {%- set pooled = '((' ~ s1 ~ ' + ' ~ s2 ~ ') / nullif(' ~ t1 ~ ' + ' ~ t2 ~ ', 0))' -%}
    {%- set z -%}
        (({{ s1 }} / nullif({{ t1 }}, 0) - {{ s2 }} / nullif({{ t2 }}, 0))
        / nullif(sqrt({{ pooled }} * (1 - {{ pooled }}) * (1 / nullif({{ t1 }}, 0) + 1 / nullif({{ t2 }}, 0))), 0))
    {%- endset -%}
    case when {{ z }} is not null then least(1, 2 * {{ standard_normal_upper_tail(z) }}) end
{%- endmacro %}
