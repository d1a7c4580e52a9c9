select id as order_id, customer_id, amount as amount_eur, status from {{ source('raw', 'orders') }}
