# elevate — two commands to get going: `make run` and `make test`.
.PHONY: run test build fuzz bench lint chart-check

GO ?= go

## run: chat with elevate in the console on the demo config (memory store, no setup)
run:
	$(GO) run ./cmd/elevate console --config examples/demo.yaml

## test: go vet and go test -race ./..., with a throwaway redis-server
test:
	./scripts/test.sh

## build: the elevate binary in ./bin
build:
	$(GO) build -o bin/elevate ./cmd/elevate

## fuzz: run each fuzz target for FUZZTIME (default 30s)
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./bot/
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./core/config/
	$(GO) test -run='^$$' -fuzz='^FuzzParseDuration$$' -fuzztime=$(FUZZTIME) ./core/

## bench: every performance target beside its floor, one markdown table (under 10 minutes)
bench:
	./scripts/bench.sh

## chart-check: helm lint and helm template of deploy/helm/elevate, and checks of the rendered manifests (installs helm if missing)
chart-check:
	HELM=$$(./scripts/helm.sh) $(GO) test -count=1 ./deploy/helm/
