module hearth.dev/agent/goworkload

go 1.19
