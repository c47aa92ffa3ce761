// Command mangahub is the MangaHub server and its administration tool.
package main

import "github.com/mangahub/mangahub/internal/cli"

func main() { cli.Main() }
