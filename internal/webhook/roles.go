package webhook

import (
	"fmt"

	"github.com/drydock/drydock/internal/access"
)

// mayManage checks that the caller may create, change, ping or redeliver
// the webhooks of subscription sub: webhooks carry every event of a
// subscription to a URL outside it, so they need the owner role there
// (access.Identity.Can with access.ActionAdmin on the whole subscription).
func mayManage(id *access.Identity, sub string) error {
	if !id.Can(sub, "*", access.ActionAdmin) {
		return fmt.Errorf("%w: managing webhooks needs the owner role in subscription %s", errForbidden, sub)
	}
	return nil
}
