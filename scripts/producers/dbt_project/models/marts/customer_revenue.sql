select c.customer_id, c.customer_name, c.country_name, sum(o.amount_eur) as revenue_eur
from {{ ref('stg_customers') }} c join {{ ref('stg_orders') }} o on o.customer_id = c.customer_id
where o.status = 'paid'
group by c.customer_id, c.customer_name, c.country_name
