package tcpsync

import (
	"context"

	"github.com/mangahub/mangahub"
)

type nopBus struct{}

func (nopBus) Publish(context.Context, mangahub.Event) error { return nil }
func (nopBus) Subscribe(func(mangahub.Event)) func()         { return func() {} }
func (nopBus) Watch(context.Context, string) (func(), error) { return func() {}, nil }
