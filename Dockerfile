# vidserve's container image. Multi-stage: the build stage compiles the TypeScript (npm run build → dist/), the
# runtime stage holds production dependencies only (npm ci --omit=dev), runs as a non-root user, and serves the
# model mounted at /models. See README "Deploying" and deploy/container/test.sh (which builds and runs it).
#
#   podman build -t vidserve .            # or: docker build -t vidserve .
#   podman run -p 8080:8080 -p 8081:8081 -v $PWD/models:/models:ro vidserve
#
# Preprocessing: the config's op.video.paddlevideo_config, else PPTSM; VIDSERVE_PIPELINE (= -n) is left unset here
# because it would override every mounted config's choice.
#
# Models: /models is the working directory; the default config (/etc/vidserve/vidserve.yaml) serves
# /models/ppTSM_serving_server (written by `vidserve convert`). Another config: mount it and set VIDSERVE_CONFIG
# (or pass `serve -c <path>`). Ports: 8080 HTTP (Paddle Serving JSON, Open Inference Protocol v2 REST, /metrics),
# 8081 gRPC (PipelineService, inference.GRPCInferenceService).
ARG BASE_IMAGE=docker.io/library/node:20-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# No scripts yet: "prepare" builds, and the sources are not here; the build needs no native binaries.
# An optional build secret `ca_bundle` (a PEM bundle) is the CA npm trusts, for networks whose proxy re-signs TLS:
#   podman build --secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt ...   (never stored in the image)
RUN --mount=type=secret,id=ca_bundle \
    if [ -f /run/secrets/ca_bundle ]; then export npm_config_cafile=/run/secrets/ca_bundle; fi \
 && npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY bin bin
COPY src src
RUN npm run build

FROM ${BASE_IMAGE} AS runtime
ENV NODE_ENV=production \
    VIDSERVE_CONFIG=/etc/vidserve/vidserve.yaml \
    VIDSERVE_HTTP_PORT=8080 \
    VIDSERVE_RPC_PORT=8081 \
    VIDSERVE_LOG_DIR=/var/log/vidserve/PipelineServingLogs
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts skips the package's own "prepare" (a build, done above); `npm rebuild` then runs the
# dependencies' install scripts (ffmpeg's chmod, onnxruntime-node's check). onnxruntime-node ships macOS and Windows
# binaries too (220 MB): dropped.
RUN --mount=type=secret,id=ca_bundle \
    if [ -f /run/secrets/ca_bundle ]; then export npm_config_cafile=/run/secrets/ca_bundle; fi \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32 \
 && npm cache clean --force \
 && ln -s /app/bin/vidserve.js /usr/local/bin/vidserve
COPY bin bin
COPY configs configs
# bin/vidserve.js runs the compiled dist/ (tsx is a dev dependency, not installed here); src/ stays as in the npm
# package (the demo fingerprints its model-building sources).
COPY src src
COPY --from=build /src/dist dist
COPY deploy/container/vidserve.yaml /etc/vidserve/vidserve.yaml
# A fixed numeric id: Kubernetes' runAsNonRoot can only verify a numeric USER.
RUN groupadd --system --gid 10001 vidserve \
 && useradd --system --uid 10001 --gid vidserve --home-dir /app --shell /usr/sbin/nologin vidserve \
 && mkdir -p /models /var/log/vidserve \
 && chown vidserve:vidserve /var/log/vidserve
USER 10001:10001
WORKDIR /models
EXPOSE 8080 8081
# Ready = the model is loaded and warmed up, and the server is not draining (Docker format; podman build --format docker).
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.VIDSERVE_HTTP_PORT || 8080) + '/v2/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["vidserve"]
CMD ["serve"]
