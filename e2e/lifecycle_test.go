package e2e

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/internal/s3test"
)

// What each server does with `haul lifecycle abort-incomplete`. A change of behaviour fails
// the test, so that the README's compatibility notes stay true.
var lifecycleSupport = map[string]string{
	// 501 NotImplemented for every lifecycle request.
	"versitygw": "no lifecycle",
	// Keeps lifecycle rules, but does not know AbortIncompleteMultipartUpload (it cleans up
	// stale uploads itself, after 24h by default): a rule with only that action is 400
	// InvalidArgument.
	"minio": "no abort rule",
	"moto":  "supported",
}

// getRules returns the bucket's lifecycle rules, with the SDK.
func getRules(t *testing.T, client *s3.Client, bucket string) []types.LifecycleRule {
	t.Helper()
	out, err := client.GetBucketLifecycleConfiguration(t.Context(), &s3.GetBucketLifecycleConfigurationInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("reading the lifecycle rules: %v", err)
	}
	return out.Rules
}

// ruleByID returns the rule with that ID, failing the test if there is none.
func ruleByID(t *testing.T, rules []types.LifecycleRule, id string) types.LifecycleRule {
	t.Helper()
	for _, r := range rules {
		if aws.ToString(r.ID) == id {
			return r
		}
	}
	t.Fatalf("no lifecycle rule %q among %d", id, len(rules))
	return types.LifecycleRule{}
}

func TestLifecycleAbortIncomplete(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		support, ok := lifecycleSupport[srv.Kind]
		if !ok {
			t.Fatalf("no lifecycle expectation for %s", srv.Kind)
		}
		bucket := srv.NewBucket(t)
		client := srv.Client(t)
		_, err := client.PutBucketLifecycleConfiguration(t.Context(), &s3.PutBucketLifecycleConfigurationInput{Bucket: &bucket,
			LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
				ID:         aws.String("expire-logs"),
				Status:     types.ExpirationStatusEnabled,
				Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
				Expiration: &types.LifecycleExpiration{Days: aws.Int32(30)},
			}}}})
		if (err == nil) != (support != "no lifecycle") {
			t.Fatalf("%s: putting a plain expiration rule with the SDK: %v, but the expectation is %q", srv.Kind, err, support)
		}
		if support == "no lifecycle" {
			for _, args := range [][]string{{"show"}, {"abort-incomplete", "--days", "3"}} {
				r := haul(t, srv, nil, append(append([]string{"lifecycle"}, args...), "s3://"+bucket)...)
				if r.code != 1 || !strings.Contains(r.stderr, "the server does not support lifecycle rules (") ||
					!strings.Contains(r.stderr, "haul uploads abort") || strings.Count(r.stderr, "\n") != 1 {
					t.Fatalf("lifecycle %s: exit %d, stderr %q; want one line saying lifecycle rules are not supported", args[0], r.code, r.stderr)
				}
			}
			return
		}
		before := ruleByID(t, getRules(t, client, bucket), "expire-logs")

		r := haul(t, srv, nil, "lifecycle", "abort-incomplete", "s3://"+bucket, "--days", "3")
		if support == "no abort rule" {
			if r.code != 1 || !strings.Contains(r.stderr, "does not accept a lifecycle rule that aborts incomplete multipart uploads") ||
				strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("lifecycle abort-incomplete: exit %d, stderr %q; want one line saying the rule is not supported", r.code, r.stderr)
			}
		} else if r.code != 0 || !strings.Contains(r.stdout, "installed") {
			t.Fatalf("lifecycle abort-incomplete: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		rules := getRules(t, client, bucket)
		if after := ruleByID(t, rules, "expire-logs"); !reflect.DeepEqual(before, after) {
			t.Fatalf("the existing rule changed:\nbefore %+v\nafter  %+v", before, after)
		}
		show := must(t, srv, "lifecycle", "show", "s3://"+bucket)
		if !strings.Contains(show.stdout, `expire-logs  Enabled  prefix="logs/"  expire=30d`) {
			t.Fatalf("lifecycle show does not show the existing rule:\n%s", show.stdout)
		}
		if support == "no abort rule" {
			if len(rules) != 1 {
				t.Fatalf("a refused rule left %d rules", len(rules))
			}
			return
		}
		if !strings.Contains(show.stdout, `haul-abort-incomplete-multipart  Enabled  prefix=""  abort-incomplete=3d`) {
			t.Fatalf("lifecycle show does not show haul's rule:\n%s", show.stdout)
		}

		// Again with other days: haul's rule is replaced, not added, and the other kept.
		r = must(t, srv, "lifecycle", "abort-incomplete", "s3://"+bucket, "--days", "5")
		if !strings.Contains(r.stdout, "replaced") {
			t.Fatalf("second abort-incomplete: %s", r.stdout)
		}
		rules = getRules(t, client, bucket)
		ours := ruleByID(t, rules, "haul-abort-incomplete-multipart")
		if len(rules) != 2 || ours.AbortIncompleteMultipartUpload == nil ||
			aws.ToInt32(ours.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 5 || ours.Status != types.ExpirationStatusEnabled {
			t.Fatalf("after the second run: %d rules, haul's %+v", len(rules), ours)
		}
		if after := ruleByID(t, rules, "expire-logs"); !reflect.DeepEqual(before, after) {
			t.Fatalf("the existing rule changed:\nbefore %+v\nafter  %+v", before, after)
		}
		js := must(t, srv, "--json", "lifecycle", "show", "s3://"+bucket)
		var ids []string
		for _, line := range strings.Split(strings.TrimSpace(js.stdout), "\n") {
			var rule struct {
				Event string `json:"event"`
				ID    string `json:"id"`
				Abort int    `json:"abort_incomplete_days"`
			}
			if err := json.Unmarshal([]byte(line), &rule); err != nil {
				t.Fatalf("not JSON: %q", line)
			}
			if rule.Event == "rule" {
				ids = append(ids, rule.ID)
			}
		}
		if len(ids) != 2 {
			t.Fatalf("--json lifecycle show: %v", ids)
		}
	})
}
