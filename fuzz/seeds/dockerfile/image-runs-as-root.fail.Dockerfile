# A build that never leaves root.
FROM golang:1.23 AS build
RUN go build -o /app ./...

FROM registry.example.com/base/debian:12
COPY --from=build /app /app
USER app:0
ENTRYPOINT ["/app"]
