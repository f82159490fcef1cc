print("smtpexplain")
