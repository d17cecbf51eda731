#!/usr/bin/env python3
"""Regenerates the fixture node trees of tests/node.rs (run from this folder).

Each tree holds the files kubeharden node reads under --root, and modes.txt with the
file modes the test applies (Git keeps none)."""
import os
def w(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write(text)

def pod(name, image, args, mounts=()):
    a = "".join(f"    - {x}\n" for x in args)
    vm = "    volumeMounts:\n" + "".join(f"    - mountPath: {m}\n      name: {n}\n      readOnly: true\n" for n, m, h in mounts) if mounts else "    volumeMounts: []\n"
    vols = "  volumes:\n" + "".join(f"  - hostPath:\n      path: {h}\n      type: DirectoryOrCreate\n    name: {n}\n" for n, m, h in mounts) if mounts else "  volumes: []\n"
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    component: " + name + "\n    tier: control-plane\n  name: " + name +
            "\n  namespace: kube-system\nspec:\n  containers:\n  - command:\n" + a + "    image: " + image + "\n    name: " + name +
            "\n" + vm + "  hostNetwork: true\n  priorityClassName: system-node-critical\n" + vols)

PKI = [("ca.crt",0o644),("ca.key",0o600),("apiserver.crt",0o644),("apiserver.key",0o600),("apiserver-kubelet-client.crt",0o644),("apiserver-kubelet-client.key",0o600),("sa.key",0o600),("sa.pub",0o644),("front-proxy-ca.crt",0o644),("front-proxy-ca.key",0o600),("etcd/ca.crt",0o644),("etcd/ca.key",0o600),("etcd/server.crt",0o644),("etcd/server.key",0o600),("etcd/peer.crt",0o644),("etcd/peer.key",0o600),("apiserver-etcd-client.crt",0o644),("apiserver-etcd-client.key",0o600)]
KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    server: https://10.0.0.10:6443
  name: kubernetes
contexts:
- context: {cluster: kubernetes, user: kubernetes-admin}
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
users:
- name: kubernetes-admin
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==
"""
API_BASE = ["kube-apiserver","--advertise-address=10.0.0.10","--allow-privileged=true","--authorization-mode=Node,RBAC","--client-ca-file=/etc/kubernetes/pki/ca.crt","--enable-admission-plugins=NodeRestriction","--enable-bootstrap-token-auth=true","--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt","--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt","--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key","--etcd-servers=https://127.0.0.1:2379","--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt","--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key","--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname","--secure-port=6443","--service-account-issuer=https://kubernetes.default.svc.cluster.local","--service-account-key-file=/etc/kubernetes/pki/sa.pub","--service-account-signing-key-file=/etc/kubernetes/pki/sa.key","--service-cluster-ip-range=10.96.0.0/12","--tls-cert-file=/etc/kubernetes/pki/apiserver.crt","--tls-private-key-file=/etc/kubernetes/pki/apiserver.key"]
KCM_BASE = ["kube-controller-manager","--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf","--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf","--bind-address=127.0.0.1","--client-ca-file=/etc/kubernetes/pki/ca.crt","--cluster-name=kubernetes","--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt","--cluster-signing-key-file=/etc/kubernetes/pki/ca.key","--controllers=*,bootstrapsigner,tokencleaner","--kubeconfig=/etc/kubernetes/controller-manager.conf","--leader-elect=true","--root-ca-file=/etc/kubernetes/pki/ca.crt","--service-account-private-key-file=/etc/kubernetes/pki/sa.key","--use-service-account-credentials=true"]
SCHED_BASE = ["kube-scheduler","--authentication-kubeconfig=/etc/kubernetes/scheduler.conf","--authorization-kubeconfig=/etc/kubernetes/scheduler.conf","--bind-address=127.0.0.1","--kubeconfig=/etc/kubernetes/scheduler.conf","--leader-elect=true"]
ETCD_BASE = ["etcd","--advertise-client-urls=https://10.0.0.10:2379","--cert-file=/etc/kubernetes/pki/etcd/server.crt","--client-cert-auth=true","--data-dir=/var/lib/etcd","--initial-advertise-peer-urls=https://10.0.0.10:2380","--key-file=/etc/kubernetes/pki/etcd/server.key","--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.10:2379","--listen-peer-urls=https://10.0.0.10:2380","--name=cp-1","--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt","--peer-client-cert-auth=true","--peer-key-file=/etc/kubernetes/pki/etcd/peer.key","--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt","--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt"]
KUBELET_KUBEADM = """apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
rotateCertificates: true
staticPodPath: /etc/kubernetes/manifests
"""
DROPIN = """[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
"""
FLAGS_ENV = 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10"\n'

def control_plane(root, api, kcm, sched, etcd, kubelet, api_mounts=()):
    img = lambda c: f"registry.k8s.io/{c}:v1.37.0"
    modes = []
    w(f"{root}/etc/kubernetes/manifests/kube-apiserver.yaml", pod("kube-apiserver", img("kube-apiserver"), api, api_mounts))
    w(f"{root}/etc/kubernetes/manifests/kube-controller-manager.yaml", pod("kube-controller-manager", img("kube-controller-manager"), kcm))
    w(f"{root}/etc/kubernetes/manifests/kube-scheduler.yaml", pod("kube-scheduler", img("kube-scheduler"), sched))
    w(f"{root}/etc/kubernetes/manifests/etcd.yaml", pod("etcd", "registry.k8s.io/etcd:3.6.4-0", etcd))
    for m in ["kube-apiserver","kube-controller-manager","kube-scheduler","etcd"]:
        modes.append((f"etc/kubernetes/manifests/{m}.yaml", 0o600))
    for c in ["admin","super-admin","controller-manager","scheduler","kubelet"]:
        w(f"{root}/etc/kubernetes/{c}.conf", KUBECONFIG)
        modes.append((f"etc/kubernetes/{c}.conf", 0o600))
    for p, m in PKI:
        w(f"{root}/etc/kubernetes/pki/{p}", "-----BEGIN PLACEHOLDER-----\n")
        modes.append((f"etc/kubernetes/pki/{p}", m))
    w(f"{root}/var/lib/etcd/member/.keep", "")
    modes.append(("var/lib/etcd", 0o700))
    w(f"{root}/var/lib/kubelet/config.yaml", kubelet)
    modes.append(("var/lib/kubelet/config.yaml", 0o600))
    w(f"{root}/var/lib/kubelet/kubeadm-flags.env", FLAGS_ENV)
    w(f"{root}/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", DROPIN)
    return modes

def write_modes(root, modes):
    w(f"{root}/modes.txt", "".join(f"{oct(m)[2:]} {p}\n" for p, m in modes))

modes = control_plane("kubeadm-control-plane", API_BASE, KCM_BASE, SCHED_BASE, ETCD_BASE, KUBELET_KUBEADM)
write_modes("kubeadm-control-plane", modes)

root = "worker"
w(f"{root}/var/lib/kubelet/config.yaml", KUBELET_KUBEADM + "readOnlyPort: 10255\ntlsCipherSuites: [TLS_ECDHE_RSA_WITH_RC4_128_SHA]\n")
w(f"{root}/var/lib/kubelet/kubeadm-flags.env", FLAGS_ENV)
w(f"{root}/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", DROPIN)
w(f"{root}/etc/systemd/system/kubelet.service.d/20-debug.conf", "[Service]\n# added while debugging, never removed\nEnvironment=\"KUBELET_EXTRA_ARGS=--anonymous-auth=true --authorization-mode=AlwaysAllow\"\n")
w(f"{root}/etc/kubernetes/kubelet.conf", KUBECONFIG.replace("    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==\n", "    token: abcdef.0123456789abcdef\n"))
w(f"{root}/etc/kubernetes/pki/ca.crt", "-----BEGIN PLACEHOLDER-----\n")
write_modes(root, [("var/lib/kubelet/config.yaml", 0o600), ("etc/kubernetes/kubelet.conf", 0o644), ("etc/kubernetes/pki/ca.crt", 0o644)])

hard_api = API_BASE + ["--anonymous-auth=false","--profiling=false","--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt","--tls-min-version=VersionTLS12","--audit-policy-file=/etc/kubernetes/audit/policy.yaml","--audit-log-path=/var/log/kubernetes/audit/audit.log","--audit-log-maxage=30","--audit-log-maxbackup=10","--audit-log-maxsize=100","--audit-webhook-config-file=/etc/kubernetes/audit/webhook.yaml","--encryption-provider-config=/etc/kubernetes/enc/encryption.yaml"]
hard_api[hard_api.index("--enable-admission-plugins=NodeRestriction")] = "--enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs"
hard_kubelet = KUBELET_KUBEADM + "serverTLSBootstrap: true\ntlsMinVersion: VersionTLS12\nprotectKernelDefaults: true\nseccompDefault: true\npodPidsLimit: 4096\nreadOnlyPort: 0\n"
root = "hardened-control-plane"
modes = control_plane(root, hard_api, KCM_BASE + ["--profiling=false","--tls-min-version=VersionTLS12"], SCHED_BASE + ["--profiling=false","--tls-min-version=VersionTLS12"], ETCD_BASE, hard_kubelet,
                      api_mounts=[("audit", "/etc/kubernetes/audit", "/srv/kubernetes/audit"), ("enc", "/etc/kubernetes/enc", "/srv/kubernetes/enc")])
w(f"{root}/srv/kubernetes/audit/policy.yaml", """apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
# Never log the bodies of Secrets, ConfigMaps or token reviews.
- level: Metadata
  resources:
  - {group: "", resources: [secrets, configmaps]}
  - {group: authentication.k8s.io, resources: [tokenreviews]}
# Bodies of what changes who can do what, and of what runs.
- level: RequestResponse
  resources:
  - {group: rbac.authorization.k8s.io}
  - {group: "", resources: [pods, namespaces]}
  - {group: apps}
  - {group: batch}
  - {group: admissionregistration.k8s.io}
# Everything else, including exec and anonymous requests.
- level: Metadata
""")
w(f"{root}/srv/kubernetes/enc/encryption.yaml", """apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - kms:
      apiVersion: v2
      name: cloud-kms
      endpoint: unix:///var/run/kms/socket.sock
      timeout: 3s
  - identity: {}
""")
modes += [("srv/kubernetes/audit/policy.yaml", 0o600), ("srv/kubernetes/enc/encryption.yaml", 0o600)]
write_modes(root, modes)

root = "legacy-control-plane"
def cmdline(pid, args):
    os.makedirs(f"{root}/proc/{pid}", exist_ok=True)
    open(f"{root}/proc/{pid}/cmdline", "wb").write(b"\0".join(a.encode() for a in args) + b"\0")
cmdline(101, ["/usr/local/bin/kube-apiserver","--insecure-port=8080","--insecure-bind-address=0.0.0.0","--token-auth-file=/etc/kubernetes/tokens.csv","--authorization-mode=AlwaysAllow","--client-ca-file=/etc/kubernetes/pki/ca.crt","--etcd-servers=http://10.0.0.10:2379","--disable-admission-plugins=PodSecurity,ServiceAccount","--enable-admission-plugins=AlwaysAdmit","--tls-min-version=VersionTLS10","--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_3DES_EDE_CBC_SHA","--service-account-lookup=false","--encryption-provider-config=/etc/kubernetes/encryption.yaml","--audit-policy-file=/etc/kubernetes/audit.yaml","--audit-log-path=/var/log/audit.log"])
cmdline(102, ["/usr/local/bin/etcd","--listen-client-urls=http://0.0.0.0:2379","--advertise-client-urls=http://10.0.0.10:2379","--client-cert-auth=false","--auto-tls=true","--trusted-ca-file=/etc/kubernetes/pki/ca.crt","--data-dir=/var/lib/etcd"])
cmdline(103, ["/usr/local/bin/kube-scheduler","--bind-address=0.0.0.0","--kubeconfig=/etc/kubernetes/scheduler.conf"])
cmdline(104, ["/usr/bin/containerd"])
w(f"{root}/etc/kubernetes/encryption.yaml", """apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - identity: {}
  - aescbc:
      keys:
      - name: key1
        secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==
""")
w(f"{root}/etc/kubernetes/audit.yaml", """apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  resources:
  - {group: "", resources: [pods/exec, pods/attach, pods/portforward]}
- level: None
  users: [system:anonymous]
- level: RequestResponse
""")
w(f"{root}/var/lib/etcd/.keep", "")
write_modes(root, [("etc/kubernetes/encryption.yaml", 0o644), ("etc/kubernetes/audit.yaml", 0o644), ("var/lib/etcd", 0o755)])

root = "broken"
w(f"{root}/etc/kubernetes/manifests/kube-apiserver.yaml", pod("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.37.0", API_BASE + ["--anonymous-auth=false"]))
w(f"{root}/etc/kubernetes/manifests/kube-scheduler.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n")
os.makedirs(f"{root}/etc/kubernetes/manifests/folder.yaml", exist_ok=True)
w(f"{root}/etc/kubernetes/manifests/folder.yaml/.keep", "")
w(f"{root}/var/lib/kubelet/config.yaml", "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n")
write_modes(root, [("etc/kubernetes/manifests/kube-apiserver.yaml", 0o600), ("var/lib/kubelet/config.yaml", 0o600)])

# --- Components started by their image's entrypoint, a wrapper or a shell; containers
# not named after the component. Hardened, but for one flag of the API server, the
# controller manager and etcd, each in `args`.
def container_pod(name, container):
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    component: " + name + "\n    tier: control-plane\n  name: " + name +
            "\n  namespace: kube-system\nspec:\n  containers:\n" + container + "  hostNetwork: true\n  priorityClassName: system-node-critical\n")

def yaml_list(key, items, indent="    "):
    return f"{indent}{key}:\n" + "".join(f"{indent}- {x}\n" for x in items)

root = "entrypoint-control-plane"
modes = control_plane(root, hard_api, KCM_BASE + ["--profiling=false","--tls-min-version=VersionTLS12"], SCHED_BASE + ["--profiling=false","--tls-min-version=VersionTLS12"], ETCD_BASE, hard_kubelet,
                      api_mounts=[("audit", "/etc/kubernetes/audit", "/srv/kubernetes/audit"), ("enc", "/etc/kubernetes/enc", "/srv/kubernetes/enc")])
api_args = [a if a != "--anonymous-auth=false" else "--anonymous-auth=true" for a in hard_api[1:]]
mounts = "    volumeMounts:\n    - mountPath: /etc/kubernetes/audit\n      name: audit\n      readOnly: true\n    - mountPath: /etc/kubernetes/enc\n      name: enc\n      readOnly: true\n"
volumes = "  volumes:\n  - hostPath:\n      path: /srv/kubernetes/audit\n      type: DirectoryOrCreate\n    name: audit\n  - hostPath:\n      path: /srv/kubernetes/enc\n      type: DirectoryOrCreate\n    name: enc\n"
# The image's entrypoint is kube-apiserver; the container is named apiserver.
w(f"{root}/etc/kubernetes/manifests/kube-apiserver.yaml", container_pod("kube-apiserver",
    "  - name: apiserver\n    image: registry.k8s.io/kube-apiserver:v1.30.0\n" + yaml_list("args", api_args) + mounts) + volumes)
# kops: go-runner logs to a file and runs the component.
kcm_args = ["--log-file=/var/log/kube-controller-manager.log", "--also-stdout", "/usr/local/bin/kube-controller-manager"] + \
    [a if a != "--bind-address=127.0.0.1" else "--bind-address=0.0.0.0" for a in KCM_BASE[1:]] + ["--profiling=false", "--tls-min-version=VersionTLS12"]
w(f"{root}/etc/kubernetes/manifests/kube-controller-manager.yaml", container_pod("kube-controller-manager",
    "  - name: kube-controller-manager\n    image: registry.k8s.io/kube-controller-manager:v1.30.0\n    command:\n    - /go-runner\n" + yaml_list("args", kcm_args)))
# GCE's kube-up: a shell runs the component, its output to a log file.
sched = " ".join(["exec", "/usr/local/bin/kube-scheduler"] + SCHED_BASE[1:] + ["--profiling=false", "--tls-min-version=VersionTLS12", "1>>/var/log/kube-scheduler.log", "2>&1"])
w(f"{root}/etc/kubernetes/manifests/kube-scheduler.yaml", container_pod("kube-scheduler",
    "  - name: kube-scheduler\n    image: registry.k8s.io/kube-scheduler:v1.30.0\n    command:\n    - /bin/sh\n    - -c\n    - " + sched + "\n"))
# A distroless etcd image whose entrypoint is etcd, with a backup sidecar first.
etcd_args = [a if a != "--peer-client-cert-auth=true" else "--peer-client-cert-auth=false" for a in ETCD_BASE[1:]]
w(f"{root}/etc/kubernetes/manifests/etcd.yaml", container_pod("etcd",
    "  - name: backup\n    image: gcr.io/etcd-development/etcd:v3.5.15\n    command: [/usr/local/bin/etcdctl, snapshot, save, /backup/snapshot.db]\n"
    "  - name: etcd-server\n    image: gcr.io/etcd-development/etcd:v3.5.15\n" + yaml_list("args", etcd_args)))
w(f"{root}/srv/kubernetes/audit/policy.yaml", open("hardened-control-plane/srv/kubernetes/audit/policy.yaml").read())
w(f"{root}/srv/kubernetes/enc/encryption.yaml", open("hardened-control-plane/srv/kubernetes/enc/encryption.yaml").read())
modes += [("srv/kubernetes/audit/policy.yaml", 0o600), ("srv/kubernetes/enc/encryption.yaml", 0o600)]
write_modes(root, modes)

# --- Users' kubeconfigs on a kubeadm worker whose kubelet is hardened.
DROPIN_ETC = DROPIN
root = "home-kubeconfigs"
w(f"{root}/var/lib/kubelet/config.yaml", hard_kubelet)
w(f"{root}/var/lib/kubelet/kubeadm-flags.env", FLAGS_ENV)
w(f"{root}/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", DROPIN_ETC)
KUBELET_CONF = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    server: https://10.0.0.10:6443
  name: default-cluster
contexts:
- context:
    cluster: default-cluster
    namespace: default
    user: default-auth
  name: default-context
current-context: default-context
kind: Config
preferences: {}
users:
- name: default-auth
  user:
    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem
"""
w(f"{root}/etc/kubernetes/kubelet.conf", KUBELET_CONF)
w(f"{root}/etc/kubernetes/pki/ca.crt", "-----BEGIN PLACEHOLDER-----\n")
# root copied admin.conf as kubeadm init suggests.
w(f"{root}/root/.kube/config", KUBECONFIG)
# alice pasted a service account token (kubectl config set-credentials --token).
w(f"{root}/home/alice/.kube/config", KUBECONFIG.replace("""  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes""", """  name: alice@kubernetes
current-context: alice@kubernetes""").replace("kubernetes-admin}", "alice}").replace("""- name: kubernetes-admin
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==
""", """- name: alice
  user:
    token: eyJhbGciOiJSUzI1NiIsImtpZCI6ImFsaWNlIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGV2OmFsaWNlIn0.c2lnbmF0dXJlLW5vdC1yZWFs
"""))
# bob uses EKS through the aws CLI; his kubeconfig has no kind, as hand-written ones may not.
w(f"{root}/home/bob/.kube/config", """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    server: https://0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com
  name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
contexts:
- context:
    cluster: arn:aws:eks:eu-west-1:111122223333:cluster/prod
    user: arn:aws:eks:eu-west-1:111122223333:cluster/prod
  name: prod
current-context: prod
users:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod, --output, json]
      command: aws
""")
w(f"{root}/home/carol/.kube/config", KUBECONFIG)
# A CI runner's kubeconfig outside any home folder, with basic auth.
w(f"{root}/opt/ci/kubeconfig", KUBECONFIG.replace("""    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==
""", """    username: ci
    password: hunter2-ci-basic-auth
"""))
write_modes(root, [("var/lib/kubelet/config.yaml", 0o600), ("etc/kubernetes/kubelet.conf", 0o600), ("etc/kubernetes/pki/ca.crt", 0o644),
                   ("root/.kube/config", 0o600), ("home/alice/.kube/config", 0o644), ("home/bob/.kube/config", 0o600), ("home/carol/.kube/config", 0o600),
                   ("opt/ci/kubeconfig", 0o644)])

# --- A kubeadm control plane whose files are damaged: empty, cut short, mistyped.
root = "damaged-control-plane"
w(f"{root}/etc/kubernetes/manifests/kube-apiserver.yaml", pod("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.30.0",
    API_BASE + ["--anonymous-auth=false", "--profiling=false", "--audit-policy-file=/etc/kubernetes/audit-policy.yaml", "--audit-log-path=/var/log/kubernetes/audit.log"],
    [("audit-policy", "/etc/kubernetes/audit-policy.yaml", "/etc/kubernetes/audit-policy.yaml")]))
w(f"{root}/etc/kubernetes/manifests/kube-controller-manager.yaml", "")
# A key indented one space too deep, after the command list.
w(f"{root}/etc/kubernetes/manifests/kube-scheduler.yaml", pod("kube-scheduler", "registry.k8s.io/kube-scheduler:v1.30.0", SCHED_BASE).replace(
    "    image: registry.k8s.io/kube-scheduler", "     image: registry.k8s.io/kube-scheduler"))
# An etcd manifest written as JSON, a comma missing.
w(f"{root}/etc/kubernetes/manifests/etcd.json", """{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "etcd", "namespace": "kube-system"},
  "spec": {
    "containers": [
      {
        "name": "etcd",
        "image": "registry.k8s.io/etcd:3.5.15-0"
        "command": ["etcd", "--data-dir=/var/lib/etcd"]
      }
    ]
  }
}
""")
w(f"{root}/etc/kubernetes/audit-policy.yaml", "")
w(f"{root}/etc/kubernetes/admin.conf", "")
# A tab where YAML wants spaces, just after a token.
w(f"{root}/etc/kubernetes/super-admin.conf", KUBECONFIG.replace("""    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==
""", """    token: 9fd3a1.k2l4x8c0b7v6n5m3
\tclient-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==
"""))
w(f"{root}/etc/kubernetes/kubelet.conf", KUBELET_CONF)
# The kubelet's config, named by the drop-in, with x509 one space too deep.
w(f"{root}/var/lib/kubelet/config.yaml", KUBELET_KUBEADM.replace("  x509:\n", "   x509:\n"))
w(f"{root}/var/lib/kubelet/kubeadm-flags.env", FLAGS_ENV)
w(f"{root}/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", DROPIN)
w(f"{root}/etc/default/kubelet", 'KUBELET_EXTRA_ARGS="--anonymous-auth=false --read-only-port=10255"\n')
write_modes(root, [("etc/kubernetes/manifests/kube-apiserver.yaml", 0o600), ("etc/kubernetes/manifests/kube-controller-manager.yaml", 0o600),
                   ("etc/kubernetes/manifests/kube-scheduler.yaml", 0o600), ("etc/kubernetes/manifests/etcd.json", 0o600),
                   ("etc/kubernetes/audit-policy.yaml", 0o600), ("etc/kubernetes/admin.conf", 0o600), ("etc/kubernetes/super-admin.conf", 0o600),
                   ("etc/kubernetes/kubelet.conf", 0o600), ("var/lib/kubelet/config.yaml", 0o600)])
