package main

import (
	"bufio"
	"demangle"
	"fmt"
	"os"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		s := sc.Text()
		simple := demangle.Filter(s, demangle.NoParams, demangle.NoTemplateParams)
		templ := demangle.Filter(s, demangle.NoParams)
		full := demangle.Filter(s, demangle.NoClones)
		fmt.Printf("%s\t%s\t%s\t%s\n", s, simple, templ, full)
	}
}
