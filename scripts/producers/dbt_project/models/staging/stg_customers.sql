select c.id as customer_id, c.name as customer_name, n.country_name
from {{ source('raw', 'customers') }} c left join {{ ref('country_names') }} n on n.code = c.country
