package netif

import (
	"errors"
	"sync"
)

// subscription is one netlink subscription (links, addresses): its updates,
// and the error that ended it when the library closes the channel (ENOBUFS
// after an event storm, a closed socket).
type subscription[U any] struct {
	updates chan U
	done    chan struct{}
	mu      sync.Mutex
	err     error
}

// subscribe starts a subscription with start, which hands the library the
// updates channel, the done channel and the error callback.
func subscribe[U any](start func(updates chan U, done chan struct{}, onError func(error)) error) (*subscription[U], error) {
	s := &subscription[U]{updates: make(chan U, 64), done: make(chan struct{})}
	if err := start(s.updates, s.done, s.setErr); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *subscription[U]) setErr(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// ended returns why the updates channel was closed.
func (s *subscription[U]) ended() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		return errors.New("channel closed")
	}
	return s.err
}

// close stops the subscription and lets its goroutine finish its last send
// and exit.
func (s *subscription[U]) close() {
	close(s.done)
	for range s.updates {
	}
}
