-- Run once by the official postgres image on first start
-- (mounted into /docker-entrypoint-initdb.d by docker-compose.yml).
-- One database per service; deploy/postgres/pg.sh creates the same set locally.
CREATE DATABASE reception;
CREATE DATABASE workshop;
CREATE DATABASE parts;
CREATE DATABASE claims;
CREATE DATABASE crm;
CREATE DATABASE gateway;
