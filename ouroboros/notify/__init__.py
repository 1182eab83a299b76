"""Chat notifications: formatters per channel (`formats`) and the SNS subscriber (`delivery`)."""
