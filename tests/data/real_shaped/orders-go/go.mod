module example.com/orders

go 1.22

require go.temporal.io/sdk v1.29.1
