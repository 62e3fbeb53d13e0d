package filter_test

import (
	"fmt"

	"github.com/haul-s3/haul/filter"
)

func Example() {
	f, err := filter.New([]filter.Rule{
		{Pattern: "build/"},
		{Include: true, Pattern: "build/keep/**"},
		{Pattern: "*.tmp"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f)
	for _, rel := range []string{"src/main.go", "src/x.tmp", "build/a.o", "build/keep/logo.png", "build/keep/x.tmp"} {
		fmt.Println(rel, f.Match(rel))
	}
	for _, dir := range []string{"build", "build/obj", "build/keep"} {
		fmt.Println("prune", dir, f.Prune(dir))
	}
	// Output:
	// --exclude 'build/' --include 'build/keep/**' --exclude '*.tmp'
	// src/main.go true
	// src/x.tmp false
	// build/a.o false
	// build/keep/logo.png true
	// build/keep/x.tmp false
	// prune build false
	// prune build/obj true
	// prune build/keep false
}

func ExampleNew_invalid() {
	_, err := filter.New([]filter.Rule{{Pattern: "*.[ch"}})
	fmt.Println(err)
	// Output:
	// filter: invalid exclude pattern '*.[ch': character class has no closing ]
}
