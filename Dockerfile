# The mangahub binary in a small image. No cgo (the embedded SQLite is pure
# Go), so the binary is static.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -o /mangahub ./cmd/mangahub

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /mangahub /mangahub
ENV MANGAHUB_DATA_DIR=/data
EXPOSE 8080 8081
ENTRYPOINT ["/mangahub"]
CMD ["serve"]
