select * from {{ ref('customer_revenue') }} where revenue_eur <= 0
