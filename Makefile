# dataops: PGXS build.  `make test` and `make demo` bootstrap a fresh
# Debian 12 machine (packages, build, throwaway cluster) through test/pg.sh.

EXTENSION   = dataops
EXTVERSION  = 0.10.0
MODULE_big  = dataops
OBJS        = $(patsubst %.c,%.o,$(wildcard src/*.c))
DATA        = sql/dataops--0.1.0.sql sql/dataops--0.1.0--0.2.0.sql sql/dataops--0.2.0--0.3.0.sql sql/dataops--0.3.0--0.4.0.sql sql/dataops--0.4.0--0.5.0.sql sql/dataops--0.5.0--0.6.0.sql sql/dataops--0.6.0--0.7.0.sql sql/dataops--0.7.0--0.8.0.sql sql/dataops--0.8.0--0.9.0.sql sql/dataops--0.9.0--0.10.0.sql
# A fresh install runs one script: the header, then the chain of versions.
DATA_built  = sql/dataops--$(EXTVERSION).sql
UPGRADE_CHAIN = $(DATA)
PGFILEDESC  = "dataops - medallion data pipelines inside PostgreSQL"

REGRESS      = setup api ingest expectations pipeline run schedule kinds suites regex sink orchestration schedules materialize
# the hostile-role suite: sql/security_*.sql, each self-contained, after the rest
REGRESS     += $(sort $(patsubst sql/%.sql,%,$(wildcard sql/security_*.sql)))
REGRESS     += health metrics lineage2
REGRESS     += performance
# issue 14: pipelines as code, one line per area
REGRESS     += alter
REGRESS     += yaml
REGRESS     += export_apply
REGRESS     += contracts
REGRESS     += ge_suites
# contrib_regression is pg_cron's database (cron.database_name): pg_cron keeps
# it connected, so pg_regress reuses it and sql/setup.sql (re)creates the
# extension in it.
REGRESS_OPTS = --inputdir=. --use-existing
# Concurrency (pg_isolation_regress, specs/*.spec), in the same database.
ISOLATION      = concurrency alter_concurrency
ISOLATION_OPTS = --use-existing

PCRE2_CONFIG ?= pcre2-config
PG_CPPFLAGS += $(shell $(PCRE2_CONFIG) --cflags 2>/dev/null) \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers
SHLIB_LINK  += $(shell $(PCRE2_CONFIG) --libs8 2>/dev/null)

# PG=17 / PG=18: build against that major version; `make test PG=NN` and
# `make bench PG=NN` run in a cached Debian root that ships it (test/root.sh).
PG ?=
ifneq ($(PG),)
PG_CONFIG = /usr/lib/postgresql/$(PG)/bin/pg_config
endif
PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
# On a fresh machine PGXS is not there yet: `make test` installs it first.
-include $(PGXS)
# after PGXS, which names the isolation database isolation_regression
ISOLATION_TESTDB = contrib_regression

sql/dataops--$(EXTVERSION).sql: sql/install-header.sql $(UPGRADE_CHAIN)
	{ cat sql/install-header.sql; for f in $(UPGRADE_CHAIN); do echo; echo "-- ---- $$f"; sed '/^\\echo Use /d' $$f; done; } > $@

# PGXS tracks no header dependencies: rebuild every object when a header changes
$(OBJS): $(wildcard src/*.h)

.PHONY: test demo demo-stop bench bench-peers loadtest valgrind test-citus bench-citus
test:
	PG=$(PG) test/pg.sh test
# dataops on a Citus coordinator + 2 workers (test/citus.sh; not part of make test)
test-citus:
	PG_CONFIG=$(PG_CONFIG) test/citus.sh
demo:
	test/pg.sh demo
demo-stop:
	test/pg.sh demo-stop
bench:
	PG=$(PG) test/pg.sh bench
# dataops against Dataform on the people pipeline (test/bench/peers.sh)
bench-peers:
	PG=$(PG) test/pg.sh bench-peers
# the people pipeline on one node against Citus coordinator + 2 workers
# (test/bench/citus.sh; also the last part of make bench)
bench-citus:
	PG_CONFIG=$(PG_CONFIG) test/bench/citus.sh
loadtest:
	test/loadtest.sh
# the regression suite with the server under valgrind memcheck (many minutes)
valgrind:
	test/valgrind/run.sh
PG_CPPFLAGS += $(shell curl-config --cflags 2>/dev/null)
SHLIB_LINK  += $(shell curl-config --libs 2>/dev/null)
# libyaml (Debian's libyaml-dev): YAML documents (export_yaml, apply_yaml, contracts)
SHLIB_LINK  += -lyaml
