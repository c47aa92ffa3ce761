package httpapi

import (
	"context"
	"net/http"
)

type healthOutput struct {
	Body struct {
		Status string `json:"status" enum:"ok"`
	}
}

// handleHealthGet answers while the process runs; it checks nothing else, so
// an orchestrator restarts only a process that is truly stuck.
func (s *server) handleHealthGet(context.Context, *struct{}) (*healthOutput, error) {
	out := &healthOutput{}
	out.Body.Status = "ok"
	return out, nil
}

type readyOutput struct {
	Status int
	Body   Readiness
}

func (s *server) handleReadyGet(ctx context.Context, _ *struct{}) (*readyOutput, error) {
	rd := s.ready(ctx)
	if rd.Components == nil {
		rd.Components = map[string]any{}
	}
	status := http.StatusOK
	if rd.Status == "unavailable" {
		status = http.StatusServiceUnavailable
	}
	return &readyOutput{Status: status, Body: rd}, nil
}
