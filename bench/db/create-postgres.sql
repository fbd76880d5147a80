-- TechEmpower's hello_world data for bench/db.sh's own throwaway cluster, used only when the
-- repository has no scripts/postgres/start.sh: the tables World (10,000 rows, id 1..10000,
-- randomNumber random in 1..10000) and Fortune (the 12 fortunes of TechEmpower's
-- toolset/databases/postgres/create-postgres.sql, the HTML-escaping and UTF-8 ones included),
-- owned by benchmarkdbuser. Run as a superuser, connected to the database hello_world.
BEGIN;

CREATE TABLE world (
  id integer NOT NULL PRIMARY KEY,
  randomnumber integer NOT NULL DEFAULT 0
);
INSERT INTO world (id, randomnumber)
  SELECT i, least(floor(random() * 10000 + 1), 10000) FROM generate_series(1, 10000) AS s(i);

CREATE TABLE fortune (
  id integer NOT NULL PRIMARY KEY,
  message varchar(2048) NOT NULL
);
INSERT INTO fortune (id, message) VALUES
  (1, 'fortune: No such file or directory'),
  (2, 'A computer scientist is someone who fixes things that aren''t broken.'),
  (3, 'After enough decimal places, nobody gives a damn.'),
  (4, 'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1'),
  (5, 'A computer program does what you tell it to do, not what you want it to do.'),
  (6, 'Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen'),
  (7, 'Any program that runs right is obsolete.'),
  (8, 'A list is only as strong as its weakest link. — Donald Knuth'),
  (9, 'Feature: A bug with seniority.'),
  (10, 'Computers make very fast, very accurate mistakes.'),
  (11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
  (12, 'フレームワークのベンチマーク');

ALTER TABLE world OWNER TO benchmarkdbuser;
ALTER TABLE fortune OWNER TO benchmarkdbuser;
COMMIT;
