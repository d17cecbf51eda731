//go:build tools

// Package testbed pins the binaries the test bed builds; see build.
package testbed

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
