package lab

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// Do runs f on a thread that is inside n's network namespace, for Go code that
// opens sockets there (packet senders, ARP probes). Sockets f opens stay in the
// namespace after f returns. f must not start goroutines that expect to run in
// the namespace: only its own thread is in it.
func (n *Node) Do(f func() error) error {
	return inNamespace(n.NS, f)
}

// inNamespace runs f on a locked thread that has entered network namespace ns,
// and returns the thread to its own namespace afterwards; if that fails the
// thread stays locked, so the runtime discards it.
func inNamespace(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		own, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("opening this thread's network namespace: %w", err)
			return
		}
		defer own.Close()
		var fErr error
		nsFile, err := os.Open("/run/netns/" + ns)
		if err != nil {
			fErr = fmt.Errorf("opening namespace %s: %w", ns, err)
		} else {
			if err := unix.Setns(int(nsFile.Fd()), unix.CLONE_NEWNET); err != nil {
				fErr = fmt.Errorf("entering namespace %s: %w", ns, err)
			} else {
				fErr = f()
			}
			nsFile.Close()
		}
		if err := unix.Setns(int(own.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("returning from namespace %s: %w", ns, err)
			return
		}
		runtime.UnlockOSThread()
		errc <- fErr
	}()
	return <-errc
}
