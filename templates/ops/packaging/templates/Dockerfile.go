# syntax=docker/dockerfile:1
#
# Go image template (ctl-packaging: add --template go).
#
# Build context: the target's module folder (its "context" in docs/packaging/registry.json),
# which must contain go.mod, e.g.
#   node ops/packaging/scripts/docker-build.mjs \
#     --dockerfile ops/packaging/services/gateway.Dockerfile --tag gateway:dev --context services/gateway
#
# Adapt for your module:
#   - the Go version (match the "go" line of go.mod; for fully reproducible builds,
#     also pin the digest: golang:<tag>@sha256:<digest>);
#   - the package to build ("." below; e.g. "./cmd/server" for a cmd/ layout);
#   - EXPOSE and the arguments of ENTRYPOINT.
# The binary is static (CGO_ENABLED=0), so the runtime image has no shell and no libc.
# If the program needs cgo, switch the runtime to gcr.io/distroless/base-debian12:nonroot.
# Keep a .dockerignore that excludes .git, local binaries and .env files.
# Never bake secrets into ENV/ARG; for private modules use build secrets
# (RUN --mount=type=secret) together with GOPRIVATE.

# --- build: compile on the builder's own platform, cross-compile for the target --------
# ($BUILDPLATFORM is provided by BuildKit, podman and buildah.)
FROM --platform=$BUILDPLATFORM golang:1.23.4-bookworm AS build
WORKDIR /src
# go.mod and go.sum first, so the module download is cached until they change.
COPY go.* ./
RUN go mod download
COPY . .
# Set by the engine from --platform (empty means the builder's own platform).
ARG TARGETOS
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/app .

# --- runtime: distroless static image, runs as the built-in "nonroot" user (65532) ----
FROM gcr.io/distroless/static-debian12:nonroot AS runtime
COPY --from=build /out/app /app
USER nonroot:nonroot
# Adapt: the port your service listens on (jobs usually expose nothing).
EXPOSE 8080
ENTRYPOINT ["/app"]
