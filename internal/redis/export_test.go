package redis

// Pipelines reports how many shared pipelines c has sent.
func Pipelines(c *Client) int {
	c.batch.mu.Lock()
	defer c.batch.mu.Unlock()
	return c.batch.sent
}
