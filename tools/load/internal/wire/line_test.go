package wire

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeServer runs script on the server end of a pipe: each step reads one
// line (when want is set, the line must contain it) and writes reply.
type step struct{ want, reply string }

func fakeServer(t *testing.T, greeting string, steps ...step) *LineClient {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	go func() {
		defer server.Close()
		r := bufio.NewReader(server)
		if _, err := server.Write([]byte(greeting + "\n")); err != nil {
			return
		}
		for _, s := range steps {
			line, err := r.ReadString('\n')
			if err != nil || !strings.Contains(line, s.want) {
				return
			}
			if _, err := server.Write([]byte(s.reply + "\n")); err != nil {
				return
			}
		}
		r.ReadString('\n') // hold the connection until the client closes
	}()
	return NewLineClient(client)
}

func TestAuthenticateAndPing(t *testing.T) {
	c := fakeServer(t, `{"type":"auth_required","protocol":1}`,
		step{`"token":"tok"`, `{"type":"auth_ok","user_id":"u","username":"n","connection_id":"1"}`},
		step{`"type":"ping","id":"p1"`, `{"type":"progress_broadcast","progress":{}}` + "\n" + `{"type":"pong","id":"p1"}`},
	)
	if err := c.Authenticate("tok", 5*time.Second); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if !c.Ping("p1", 5*time.Second) {
		t.Error("Ping did not see its pong behind a broadcast")
	}
}

func TestAuthenticateRefused(t *testing.T) {
	c := fakeServer(t, `{"type":"auth_required","protocol":1}`,
		step{`"type":"auth"`, `{"type":"error","code":"token_expired","message":"expired"}`})
	err := c.Authenticate("tok", 5*time.Second)
	var se *ServerError
	if !errors.As(err, &se) || se.Code != "token_expired" {
		t.Errorf("Authenticate = %v, want a ServerError coded token_expired", err)
	}
}

func TestAuthenticateWantsTheGreeting(t *testing.T) {
	c := fakeServer(t, `{"type":"pong"}`)
	if err := c.Authenticate("tok", 5*time.Second); err == nil || !strings.Contains(err.Error(), "greeting") {
		t.Errorf("Authenticate = %v, want a greeting error", err)
	}
}

func TestPingFailsOnError(t *testing.T) {
	c := fakeServer(t, `{"type":"auth_required","protocol":1}`,
		step{`"type":"ping"`, `{"type":"error","code":"rate_limited","message":"slow down"}`})
	if _, err := c.Receive(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if c.Ping("p", 5*time.Second) {
		t.Error("Ping succeeded on an error reply")
	}
}
