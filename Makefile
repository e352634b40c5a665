# chatwire: the two commands a newcomer needs are `make demo` and `make test`.
GO        ?= go
# A count of executions, not a duration: with a duration, Go's fuzzing
# coordinator can fail a target with "context deadline exceeded" at the
# deadline on a loaded machine (a toolchain race, no failing input).
FUZZTIME  ?= 60000x
SOKETI    := .ci/soketi/node_modules/.bin/soketi
STATICCHECK_VERSION := v0.8.2
BENCHSTAT := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
PEER_ROUNDS ?= 5
LOAD      ?= chat

.PHONY: test demo serve generate lint bench fuzz chaos load soketi

## test: vet, the whole suite under the race detector (Soketi included), short fuzz runs
test: soketi
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	CHATWIRE_TRANSPORT=coder $(GO) test -race -count=1 ./data/
	$(MAKE) fuzz

## demo: an embedded reference server and three simulated users, live typed events
demo:
	$(GO) run ./cmd/chatwire demo

## serve: the reference server on 127.0.0.1:8080 for local development
serve:
	$(GO) run ./cmd/chatwire serve --addr 127.0.0.1:8080

## generate: regenerate the mocks (a test fails when they are stale)
generate:
	$(GO) generate ./...

## lint: go vet and staticcheck
lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

## bench: every SDK benchmark (5 runs, through benchstat), then the peer harness:
## raw gorilla, the envelope and Pusher paths, centrifuge-go and pusher-js, each
## client in its own process, PEER_ROUNDS interleaved rounds (docs/benchmarks.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./... | tee bench.out
	$(GO) run $(BENCHSTAT) bench.out
	cd data/chaos/peer/pusherjs && npm ci --no-audit --no-fund
	cd data/chaos && $(GO) build -o $(CURDIR)/bin/peer/ ./cmd/peerserver ./cmd/peerclient
	cd data/chaos && $(GO) run ./cmd/peerbench -bin $(CURDIR)/bin/peer -rounds $(PEER_ROUNDS) -out $(CURDIR)/peer.out
	$(GO) run $(BENCHSTAT) -col /client peer.out

## fuzz: each fuzz target for FUZZTIME executions
fuzz:
	@$(GO) list ./... | while read pkg; do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

## chaos: the fault-proxy suite (nested module data/chaos), race detector, a short Pusher-frame fuzz,
##        then CRASH_ROUNDS rounds of SIGKILL on a process holding an SQLite store (data/sqlitestore)
CRASH_ROUNDS ?= 300
chaos:
	cd data/chaos && $(GO) test -race -count=1 -timeout 10m ./...
	cd data/chaos && $(GO) test -run '^$$' -fuzz '^FuzzPusherFrame$$' -fuzztime $(FUZZTIME) .
	CHATWIRE_CRASH_ROUNDS=$(CRASH_ROUNDS) $(GO) test -race -count=1 -timeout 20m -run '^TestCrash' ./data/sqlitestore/

## load: LOAD=chat (default): 1,000 SDK clients chatting through one reference server;
## LOAD=flood: 1,000,000 messages as fast as a server writes into draining apps, both paths;
## LOAD=idle: 10,000 idle SDK clients in one process (connect-all time, memory per connection)
load:
	ulimit -n $$(ulimit -Hn) && cd data/chaos && CHATWIRE_LOAD=1 $(GO) test -run '^$(LOAD_TEST_$(LOAD))$$' -count=1 -timeout 30m -v .
LOAD_TEST_chat  := TestLoad
LOAD_TEST_flood := TestLoadFlood
LOAD_TEST_idle  := TestLoadIdle

## soketi: install the Soketi server the Pusher integration tests run against
soketi: $(SOKETI)
$(SOKETI): .ci/soketi/package.json
	bash .ci/soketi/install.sh

## cluster: the cluster suite against three Soketi nodes on NATS (nats-server
## built by .ci/cluster/install.sh): spread, fan-out, presence and whispers
## across nodes, a node killed and one stopped, the stack's own behaviour,
## under the race detector; then the load run, CLUSTER_CLIENTS SDK clients in
## one process and a node killed (make cluster CLUSTER_CLIENTS=1000 for the
## figures of docs/reliability.md)
CLUSTER_CLIENTS ?= 100
NATS_SERVER     := .ci/bin/nats-server
.PHONY: cluster
cluster: soketi $(NATS_SERVER)
	CHATWIRE_CLUSTER=1 $(GO) test -race -count=1 -timeout 20m -run 'Cluster|Stack' -skip '^TestClusterLoad$$' ./core/pusher/pushertest/ ./data/laravel/
	ulimit -n $$(ulimit -Hn) && CHATWIRE_CLUSTER=1 CHATWIRE_CLUSTER_CLIENTS=$(CLUSTER_CLIENTS) \
		$(GO) test -count=1 -timeout 30m -run '^TestClusterLoad$$' -v ./data/laravel/
$(NATS_SERVER): .ci/cluster/install.sh
	bash .ci/cluster/install.sh
