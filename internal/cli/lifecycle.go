package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/s3store"
)

// abortRuleID is the ID of the lifecycle rule that `lifecycle abort-incomplete` manages.
const abortRuleID = "haul-abort-incomplete-multipart"

func (a *app) lifecycleCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lifecycle",
		Short: "Show a bucket's lifecycle rules, or have the server abort old incomplete uploads",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for haul lifecycle: use show or abort-incomplete", args[0])
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(a.lifecycleShowCommand(), a.lifecycleAbortCommand())
	return cmd
}

func (a *app) lifecycleShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show s3://bucket",
		Short: "Print the bucket's lifecycle rules, one line each",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			bucket, err := bucketArg(args[0], "lifecycle rules belong to a bucket")
			if err != nil {
				return err
			}
			store, err := a.store(cmd.Context(), 1)
			if err != nil {
				return err
			}
			rules, err := retrying(store).LifecycleRules(cmd.Context(), bucket)
			out := a.output()
			if err != nil {
				out.summary(event{Rules: new(0)}, "", err)
				return a.lifecycleError(bucket, err)
			}
			if len(rules) == 0 {
				out.note(event{Bucket: bucket}, "s3://"+bucket+" has no lifecycle rules")
			}
			for _, r := range rules {
				printRule(out, bucket, r)
			}
			out.summary(event{Rules: new(len(rules))}, plural(len(rules), "rule", "rules"), nil)
			return nil
		},
	}
}

func (a *app) lifecycleAbortCommand() *cobra.Command {
	var days int
	cmd := &cobra.Command{
		Use:   "abort-incomplete s3://bucket --days N",
		Short: "Have the server abort incomplete multipart uploads N days after they start",
		Long: `Install a lifecycle rule (ID ` + abortRuleID + `) that makes the server abort every
incomplete multipart upload in the bucket N days after it started. The bucket's other rules
are kept as they are; running it again replaces only this rule.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.lifecycleAbort(cmd.Context(), args[0], days)
		},
	}
	cmd.Flags().IntVar(&days, "days", 0, "abort uploads this many days after they started (required, at least 1)")
	return cmd
}

func (a *app) lifecycleAbort(ctx context.Context, arg string, days int) error {
	bucket, err := bucketArg(arg, "lifecycle rules belong to a bucket")
	if err != nil {
		return err
	}
	if days < 1 || days > math.MaxInt32 {
		return usagef("lifecycle abort-incomplete: give --days N, a whole number of days of at least 1")
	}
	store, err := a.store(ctx, 1)
	if err != nil {
		return err
	}
	replaced, err := retrying(store).PutAbortIncompleteRule(ctx, bucket, abortRuleID, int32(days))
	out := a.output()
	sum := event{Installed: new(0), Replaced: new(0)}
	if err != nil {
		out.summary(sum, "", err)
		return a.lifecycleError(bucket, err)
	}
	name := "installed"
	if replaced {
		name, sum.Replaced = "replaced", new(1)
	} else {
		sum.Installed = new(1)
	}
	rule := &ruleJSON{ID: abortRuleID, Status: "Enabled", AbortIncompleteDays: int32(days)}
	out.did(event{Event: name, Bucket: bucket, ruleJSON: rule},
		fmt.Sprintf("lifecycle: s3://%s: rule %s %s: incomplete multipart uploads are aborted %d days after they start", bucket, abortRuleID, name, days))
	out.summary(sum, "", nil)
	return nil
}

// lifecycleError explains a server without lifecycle support in one line.
func (a *app) lifecycleError(bucket string, err error) error {
	if !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	fmt.Fprintf(a.stderr, "haul: %s; remove incomplete uploads with `haul uploads abort s3://%s --older-than 7d` instead\n", advise(err), bucket)
	return errReported
}

// ruleJSON is a lifecycle rule's fields in --json events.
type ruleJSON struct {
	ID                       string   `json:"id"`
	Status                   string   `json:"status"`
	Prefix                   string   `json:"prefix"`
	OtherFilter              bool     `json:"other_filter,omitempty"`
	ExpirationDays           int32    `json:"expiration_days,omitempty"`
	ExpirationDate           string   `json:"expiration_date,omitempty"`
	NoncurrentExpirationDays int32    `json:"noncurrent_expiration_days,omitempty"`
	AbortIncompleteDays      int32    `json:"abort_incomplete_days,omitempty"`
	Transitions              []string `json:"transitions,omitempty"`
}

// printRule lists one of the bucket's rules.
func printRule(out *output, bucket string, r s3store.LifecycleRule) {
	j := ruleJSON{ID: r.ID, Status: "Disabled", Prefix: r.Prefix, OtherFilter: r.OtherFilter, ExpirationDays: r.ExpirationDays,
		NoncurrentExpirationDays: r.NoncurrentExpirationDays, AbortIncompleteDays: r.AbortIncompleteDays}
	if r.Enabled {
		j.Status = "Enabled"
	}
	if !r.ExpirationDate.IsZero() {
		j.ExpirationDate = r.ExpirationDate.UTC().Format("2006-01-02")
	}
	for _, t := range r.Transitions {
		when := fmt.Sprintf("%dd", t.Days)
		if !t.Date.IsZero() {
			when = t.Date.UTC().Format("2006-01-02")
		}
		j.Transitions = append(j.Transitions, when+":"+t.StorageClass)
	}
	line := []string{j.ID, j.Status, fmt.Sprintf("prefix=%q", j.Prefix)}
	if j.OtherFilter {
		line = append(line, "filter=tags/size")
	}
	if j.ExpirationDays > 0 {
		line = append(line, fmt.Sprintf("expire=%dd", j.ExpirationDays))
	}
	if j.ExpirationDate != "" {
		line = append(line, "expire="+j.ExpirationDate)
	}
	if j.NoncurrentExpirationDays > 0 {
		line = append(line, fmt.Sprintf("expire-noncurrent=%dd", j.NoncurrentExpirationDays))
	}
	if j.AbortIncompleteDays > 0 {
		line = append(line, fmt.Sprintf("abort-incomplete=%dd", j.AbortIncompleteDays))
	}
	if len(j.Transitions) > 0 {
		line = append(line, "transition="+strings.Join(j.Transitions, ","))
	}
	out.listed(event{Event: "rule", Bucket: bucket, ruleJSON: &j}, strings.Join(line, "  "))
}
