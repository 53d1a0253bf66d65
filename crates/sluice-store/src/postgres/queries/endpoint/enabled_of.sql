-- Which of the endpoints $1 exist and are enabled.
SELECT id FROM endpoint WHERE id = ANY($1) AND NOT disabled
