from django.urls import path

from support.views import staff, tickets

app_name = "support"

urlpatterns = [
    path("", tickets.my_tickets, name="mine"),
    path("new/", tickets.ticket_new, name="new"),
    path("tickets/<str:number>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<str:number>/message/", tickets.ticket_message, name="message"),
    path("tickets/<str:number>/reopen/", tickets.ticket_reopen, name="reopen"),
    path("tickets/<str:number>/rate/", tickets.ticket_rate, name="rate"),
    path("tickets/<str:number>/answer/", tickets.ticket_answer, name="answer"),
    path("attachments/<int:attachment_id>/", tickets.attachment_file, name="attachment"),
    path("queue/", staff.queue, name="queue"),
    path("report/", staff.report, name="report"),
    path("report.pdf", staff.report_pdf, name="report_pdf"),
    path("report.csv", staff.report_csv, name="report_csv"),
    path("service-levels/", staff.service_levels, name="service_levels"),
    path(
        "service-levels/holidays/<int:holiday_id>/remove/",
        staff.holiday_remove,
        name="holiday_remove",
    ),
]
