-- A user twice in the balances file: each later line with its first one
-- (at most 50).
SELECT l.line, l.ext, d.first_line
  FROM rc_balances l
  JOIN (SELECT ext, min(line) AS first_line FROM rc_balances
         GROUP BY ext HAVING count(*) > 1) d ON d.ext = l.ext
 WHERE l.line <> d.first_line ORDER BY l.line LIMIT 50
