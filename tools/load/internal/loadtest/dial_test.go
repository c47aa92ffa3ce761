package loadtest

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestParseSources(t *testing.T) {
	addrs := func(ss ...string) []netip.Addr {
		var out []netip.Addr
		for _, s := range ss {
			out = append(out, netip.MustParseAddr(s))
		}
		return out
	}
	tests := []struct {
		in      string
		want    []netip.Addr
		wantErr bool
	}{
		{"", nil, false},
		{"127.0.0.2", addrs("127.0.0.2"), false},
		{"127.0.0.2-127.0.0.4", addrs("127.0.0.2", "127.0.0.3", "127.0.0.4"), false},
		{"127.0.0.9, 127.0.1.1", addrs("127.0.0.9", "127.0.1.1"), false},
		{"10.0.0.1", nil, true},
		{"127.0.0.255-128.0.0.1", nil, true},
		{"127.0.0.5-127.0.0.2", nil, true},
		{"127.0.0.0-127.1.0.0", nil, true}, // more than the bound
		{"::1", nil, true},
		{"nonsense", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseSources(tt.in)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseSources(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:8081": true, "127.9.9.9:1": true, "[::1]:80": true, "localhost:8080": true,
		"10.1.2.3:8081": false, "example.com:80": false, ":8081": false, "127.0.0.1": false,
	} {
		if err := CheckLoopback(addr); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}
