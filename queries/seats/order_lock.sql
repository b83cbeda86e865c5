-- The order a seat is given for, locked: its product's kind and whether
-- it was fulfilled already.
SELECT p.kind,
       EXISTS (SELECT 1 FROM fulfilments f WHERE f.order_id = o.id)
  FROM orders o LEFT JOIN products p ON p.id = o.product_id
 WHERE o.id = $1::bigint FOR NO KEY UPDATE OF o
