package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
)

func (a *app) userCommand() *cobra.Command {
	return a.group("user", "Manage accounts directly in the database", a.userCreateCommand())
}

func (a *app) userCreateCommand() *cobra.Command {
	var username, email string
	var admin, fromStdin bool
	c := &cobra.Command{
		Use:   "create --username U --email E [--admin] --password-stdin",
		Short: "Create a user (an admin with --admin); the password is read from standard input",
		Long: `Create a user in the configured database, with the password read from standard
input (one trailing newline is ignored). The configuration comes from the
environment, as for serve.`,
		Args:                  positional(),
		DisableFlagsInUseLine: true,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			password, err := readPasswordFrom(a.env.Stdin)
			if err != nil {
				return err
			}
			cfg, err := loadConfig(cmd, a.env, nil)
			if cfg == nil {
				return err
			}
			stores, err := openMigratedConfig(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer stores.DB.Close()
			// Creating a user issues no token, so no shared secret is needed
			// here; a throwaway key keeps auth.New's invariant.
			svc := auth.New(stores.Users, stores.Tokens, auth.Config{Secret: []byte(strings.Repeat("x", 32))})
			role := mangahub.RoleUser
			if admin {
				role = mangahub.RoleAdmin
			}
			u, err := svc.CreateUser(cmd.Context(), username, email, password, role)
			if err != nil {
				return describe(err)
			}
			fmt.Fprintf(a.env.Stdout, "created %s %s (%s)\n", u.Role, u.Username, u.ID)
			return nil
		}),
	}
	f := c.Flags()
	f.StringVar(&username, "username", "", "user name (3–32 of A-Z a-z 0-9 _ . -)")
	f.StringVar(&email, "email", "", "email address")
	f.BoolVar(&admin, "admin", false, "give the user the admin role")
	f.BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input (required)")
	for _, name := range []string{"username", "email", "password-stdin"} {
		_ = c.MarkFlagRequired(name)
	}
	return c
}
