"""Generated protobuf messages of the runtime APIs the console probes (no other code here).

Generated with grpcio-tools 1.85.1 (protoc gencode 7.35.1) from the published .proto files:
containerd/containerd api/ at 301026e58c619e63d09c0ec411012e54c0124b03 (services containers,
tasks, version, namespaces v1 and the types they import) and kubernetes/cri-api
pkg/apis/runtime/v1/api.proto at 791729b255f0c2d0019d3862ba6ef000c4a30c4d. The files sit under
hangconsole/rtapi/ in the import paths (containerd's "types/..." imports would otherwise shadow
Python's stdlib `types`); proto package and service names are unchanged, so the wire method
paths are containerd's and the kubelet's. Regenerate: see docs/runtimes.md.
"""
