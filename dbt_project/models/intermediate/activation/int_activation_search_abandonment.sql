{#- Search abandonment's trigger: a person's last search of yesterday (the day before the warehouse clock's
    day, in the reporting time zone). The message goes the morning after: send_after is the start of the day
    after the search. Related products: those the person viewed after the search (their own answer to it,
    newest first), else the shop's 30-day best sellers whose name or category holds the query's first word
    (the catalog's own vocabulary: "boots black" finds the boots). Up to 5. A return visit does not stop
    the flow - it is sent once, the next day, about a need that visit did not meet; an order does
    (int_activation_audiences). -#}

with activation_events as (

    select * from {{ ref('int_activation_events') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

best_sellers as (

    select * from {{ ref('int_product_best_sellers') }}

),

warehouse_clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

yesterdays_searches as (

    select
        activation_events.person_id,
        activation_events.occurred_at,
        activation_events.event_date,
        activation_events.search_query,
        row_number() over (
            partition by activation_events.person_id
            order by activation_events.occurred_at desc, activation_events.event_id desc
        ) as recency_rank
    from activation_events
    cross join warehouse_clock
    where
        activation_events.event_name = 'search'
        and activation_events.event_date = cast({{ dbt.dateadd('day', -1, 'warehouse_clock.clock_date') }} as date)

),

last_searches as (

    select
        person_id,
        occurred_at as searched_at,
        event_date as search_date,
        search_query,
        lower(split_part(trim(search_query), ' ', 1)) as query_word
    from yesterdays_searches
    where recency_rank = 1

),

viewed_after as (

    select
        last_searches.person_id,
        activation_events.product_id,
        max(activation_events.occurred_at) as viewed_at
    from last_searches
    inner join activation_events
        on
            last_searches.person_id = activation_events.person_id
            and activation_events.event_name = 'view_item'
            and last_searches.searched_at < activation_events.occurred_at
    group by last_searches.person_id, activation_events.product_id

),

matching_best_sellers as (

    select
        last_searches.person_id,
        best_sellers.product_id,
        best_sellers.sales_rank
    from last_searches
    inner join best_sellers
        on
            last_searches.query_word != ''
            and (
                lower(best_sellers.product_name) like '%' || last_searches.query_word || '%'
                or lower(best_sellers.category) like '%' || last_searches.query_word || '%'
            )

),

candidates as (

    select
        person_id,
        product_id,
        'viewed_after_search' as source,
        row_number() over (partition by person_id order by viewed_at desc, product_id asc) as candidate_rank
    from viewed_after

    union all

    select
        matching_best_sellers.person_id,
        matching_best_sellers.product_id,
        'best_seller_matching_query' as source,
        row_number() over (
            partition by matching_best_sellers.person_id order by matching_best_sellers.sales_rank
        ) as candidate_rank
    from matching_best_sellers
    left join viewed_after
        on matching_best_sellers.person_id = viewed_after.person_id
    where viewed_after.person_id is null

),

related as (

    select
        candidates.person_id,
        {{ json_object_list(
            {
                'product_id': 'candidates.product_id',
                'product_name': 'products.product_name',
                'source': 'candidates.source'
            },
            order_by=['candidates.candidate_rank']
        ) }} as recommended_products
    from candidates
    left join products
        on candidates.product_id = products.product_id
    where candidates.candidate_rank <= 5
    group by candidates.person_id

),

final as (

    select
        last_searches.person_id,
        last_searches.searched_at as triggered_at,
        {{ reporting_day_start(dbt.dateadd('day', 1, 'last_searches.search_date')) }} as send_after,
        'searched for "' || last_searches.search_query || '" yesterday at '
        || {{ reporting_time_text('last_searches.searched_at') }} || ' and has not ordered since' as reason,
        cast(null as {{ json_type() }}) as items,
        cast(null as {{ dbt.type_string() }}) as video_id,
        last_searches.search_query,
        related.recommended_products,
        cast(null as integer) as stage
    from last_searches
    left join related
        on last_searches.person_id = related.person_id

)

select * from final
