package pgwire

// NumConns returns the number of connections being served (for tests).
func (s *Server) NumConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all)
}

// Finished returns the number of connections served to completion.
func (s *Server) Finished() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finished
}
