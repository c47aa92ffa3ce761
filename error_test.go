package mangahub_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/mangahub/mangahub"
)

func TestValidationOf(t *testing.T) {
	if err := mangahub.ValidationOf(nil, nil); err != nil {
		t.Fatalf("ValidationOf(nil, nil) = %v", err)
	}
	err := mangahub.ValidationOf(
		mangahub.FieldError("username", "must be at least %d characters", 3),
		nil,
		mangahub.ValidationOf(mangahub.FieldError("email", "is required"), mangahub.FieldError("password", "is required")),
	)
	e := mangahub.AsError(err)
	want := []mangahub.FieldProblem{
		{Field: "username", Message: "must be at least 3 characters"},
		{Field: "email", Message: "is required"},
		{Field: "password", Message: "is required"},
	}
	if e.Code != mangahub.CodeValidation || e.Field != "username" || !reflect.DeepEqual(e.Fields, want) ||
		e.Message != "username: must be at least 3 characters; email: is required; password: is required" {
		t.Errorf("ValidationOf = %+v", e)
	}
	// An error that is not about the input wins: the input could not be
	// checked.
	down := mangahub.Unavailable(errors.New("db down"))
	if got := mangahub.ValidationOf(mangahub.FieldError("a", "bad"), down); got != down {
		t.Errorf("ValidationOf with an outage = %v, want the outage", got)
	}
}
